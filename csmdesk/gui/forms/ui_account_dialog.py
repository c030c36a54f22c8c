# source-sha256: 571d5314e3fb38bbd8043a1baca95ffee53ccc6dafee3970f2f8b6e7deeec88f
# -*- coding: utf-8 -*-

################################################################################
## Form generated from reading UI file 'account_dialog.ui'
##
##
## WARNING! All changes made in this file will be lost when recompiling UI file!
################################################################################

from PySide6.QtCore import (QCoreApplication, QDate, QDateTime, QLocale,
    QMetaObject, QObject, QPoint, QRect,
    QSize, QTime, QUrl, Qt)
from PySide6.QtGui import (QBrush, QColor, QConicalGradient, QCursor,
    QFont, QFontDatabase, QGradient, QIcon,
    QImage, QKeySequence, QLinearGradient, QPainter,
    QPalette, QPixmap, QRadialGradient, QTransform)
from PySide6.QtWidgets import (QAbstractButton, QApplication, QCheckBox, QComboBox,
    QDateEdit, QDialog, QDialogButtonBox, QFormLayout,
    QHBoxLayout, QLabel, QLineEdit, QSizePolicy,
    QSpacerItem, QSpinBox, QVBoxLayout, QWidget)

class Ui_AccountDialog(object):
    def setupUi(self, AccountDialog):
        if not AccountDialog.objectName():
            AccountDialog.setObjectName(u"AccountDialog")
        AccountDialog.resize(520, 620)
        self.mainLayout = QVBoxLayout(AccountDialog)
        self.mainLayout.setObjectName(u"mainLayout")
        self.formLayout = QFormLayout()
        self.formLayout.setObjectName(u"formLayout")
        self.formLayout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.nameLabel = QLabel(AccountDialog)
        self.nameLabel.setObjectName(u"nameLabel")

        self.formLayout.setWidget(0, QFormLayout.ItemRole.LabelRole, self.nameLabel)

        self.nameEdit = QLineEdit(AccountDialog)
        self.nameEdit.setObjectName(u"nameEdit")

        self.formLayout.setWidget(0, QFormLayout.ItemRole.FieldRole, self.nameEdit)

        self.domainLabel = QLabel(AccountDialog)
        self.domainLabel.setObjectName(u"domainLabel")

        self.formLayout.setWidget(1, QFormLayout.ItemRole.LabelRole, self.domainLabel)

        self.domainEdit = QLineEdit(AccountDialog)
        self.domainEdit.setObjectName(u"domainEdit")

        self.formLayout.setWidget(1, QFormLayout.ItemRole.FieldRole, self.domainEdit)

        self.segmentLabel = QLabel(AccountDialog)
        self.segmentLabel.setObjectName(u"segmentLabel")

        self.formLayout.setWidget(2, QFormLayout.ItemRole.LabelRole, self.segmentLabel)

        self.segmentCombo = QComboBox(AccountDialog)
        self.segmentCombo.setObjectName(u"segmentCombo")

        self.formLayout.setWidget(2, QFormLayout.ItemRole.FieldRole, self.segmentCombo)

        self.lifecycleLabel = QLabel(AccountDialog)
        self.lifecycleLabel.setObjectName(u"lifecycleLabel")

        self.formLayout.setWidget(3, QFormLayout.ItemRole.LabelRole, self.lifecycleLabel)

        self.lifecycleCombo = QComboBox(AccountDialog)
        self.lifecycleCombo.setObjectName(u"lifecycleCombo")

        self.formLayout.setWidget(3, QFormLayout.ItemRole.FieldRole, self.lifecycleCombo)

        self.industryLabel = QLabel(AccountDialog)
        self.industryLabel.setObjectName(u"industryLabel")

        self.formLayout.setWidget(4, QFormLayout.ItemRole.LabelRole, self.industryLabel)

        self.industryEdit = QLineEdit(AccountDialog)
        self.industryEdit.setObjectName(u"industryEdit")

        self.formLayout.setWidget(4, QFormLayout.ItemRole.FieldRole, self.industryEdit)

        self.arrLabel = QLabel(AccountDialog)
        self.arrLabel.setObjectName(u"arrLabel")

        self.formLayout.setWidget(5, QFormLayout.ItemRole.LabelRole, self.arrLabel)

        self.arrLayout = QHBoxLayout()
        self.arrLayout.setObjectName(u"arrLayout")
        self.arrEdit = QLineEdit(AccountDialog)
        self.arrEdit.setObjectName(u"arrEdit")

        self.arrLayout.addWidget(self.arrEdit)

        self.currencyCombo = QComboBox(AccountDialog)
        self.currencyCombo.setObjectName(u"currencyCombo")
        self.currencyCombo.setEditable(True)

        self.arrLayout.addWidget(self.currencyCombo)


        self.formLayout.setLayout(5, QFormLayout.ItemRole.FieldRole, self.arrLayout)

        self.contractStartLabel = QLabel(AccountDialog)
        self.contractStartLabel.setObjectName(u"contractStartLabel")

        self.formLayout.setWidget(6, QFormLayout.ItemRole.LabelRole, self.contractStartLabel)

        self.contractStartEdit = QDateEdit(AccountDialog)
        self.contractStartEdit.setObjectName(u"contractStartEdit")
        self.contractStartEdit.setCalendarPopup(True)

        self.formLayout.setWidget(6, QFormLayout.ItemRole.FieldRole, self.contractStartEdit)

        self.renewalLabel = QLabel(AccountDialog)
        self.renewalLabel.setObjectName(u"renewalLabel")

        self.formLayout.setWidget(7, QFormLayout.ItemRole.LabelRole, self.renewalLabel)

        self.renewalEdit = QDateEdit(AccountDialog)
        self.renewalEdit.setObjectName(u"renewalEdit")
        self.renewalEdit.setCalendarPopup(True)

        self.formLayout.setWidget(7, QFormLayout.ItemRole.FieldRole, self.renewalEdit)

        self.seatsLabel = QLabel(AccountDialog)
        self.seatsLabel.setObjectName(u"seatsLabel")

        self.formLayout.setWidget(8, QFormLayout.ItemRole.LabelRole, self.seatsLabel)

        self.seatsEdit = QLineEdit(AccountDialog)
        self.seatsEdit.setObjectName(u"seatsEdit")

        self.formLayout.setWidget(8, QFormLayout.ItemRole.FieldRole, self.seatsEdit)

        self.ownerLabel = QLabel(AccountDialog)
        self.ownerLabel.setObjectName(u"ownerLabel")

        self.formLayout.setWidget(9, QFormLayout.ItemRole.LabelRole, self.ownerLabel)

        self.ownerEdit = QLineEdit(AccountDialog)
        self.ownerEdit.setObjectName(u"ownerEdit")

        self.formLayout.setWidget(9, QFormLayout.ItemRole.FieldRole, self.ownerEdit)

        self.tagsLabel = QLabel(AccountDialog)
        self.tagsLabel.setObjectName(u"tagsLabel")

        self.formLayout.setWidget(10, QFormLayout.ItemRole.LabelRole, self.tagsLabel)

        self.tagsEdit = QLineEdit(AccountDialog)
        self.tagsEdit.setObjectName(u"tagsEdit")

        self.formLayout.setWidget(10, QFormLayout.ItemRole.FieldRole, self.tagsEdit)

        self.cadenceLabel = QLabel(AccountDialog)
        self.cadenceLabel.setObjectName(u"cadenceLabel")

        self.formLayout.setWidget(11, QFormLayout.ItemRole.LabelRole, self.cadenceLabel)

        self.cadenceSpin = QSpinBox(AccountDialog)
        self.cadenceSpin.setObjectName(u"cadenceSpin")
        self.cadenceSpin.setMinimum(0)
        self.cadenceSpin.setMaximum(366)

        self.formLayout.setWidget(11, QFormLayout.ItemRole.FieldRole, self.cadenceSpin)

        self.reviewLabel = QLabel(AccountDialog)
        self.reviewLabel.setObjectName(u"reviewLabel")

        self.formLayout.setWidget(12, QFormLayout.ItemRole.LabelRole, self.reviewLabel)

        self.reviewCombo = QComboBox(AccountDialog)
        self.reviewCombo.setObjectName(u"reviewCombo")

        self.formLayout.setWidget(12, QFormLayout.ItemRole.FieldRole, self.reviewCombo)

        self.paymentIssueCheck = QCheckBox(AccountDialog)
        self.paymentIssueCheck.setObjectName(u"paymentIssueCheck")

        self.formLayout.setWidget(13, QFormLayout.ItemRole.FieldRole, self.paymentIssueCheck)


        self.mainLayout.addLayout(self.formLayout)

        self.warningLabel = QLabel(AccountDialog)
        self.warningLabel.setObjectName(u"warningLabel")
        self.warningLabel.setWordWrap(True)

        self.mainLayout.addWidget(self.warningLabel)

        self.errorLabel = QLabel(AccountDialog)
        self.errorLabel.setObjectName(u"errorLabel")
        self.errorLabel.setWordWrap(True)

        self.mainLayout.addWidget(self.errorLabel)

        self.verticalSpacer = QSpacerItem(0, 0, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Expanding)

        self.mainLayout.addItem(self.verticalSpacer)

        self.buttonBox = QDialogButtonBox(AccountDialog)
        self.buttonBox.setObjectName(u"buttonBox")
        self.buttonBox.setStandardButtons(QDialogButtonBox.StandardButton.Cancel|QDialogButtonBox.StandardButton.Save)

        self.mainLayout.addWidget(self.buttonBox)

#if QT_CONFIG(shortcut)
        self.nameLabel.setBuddy(self.nameEdit)
        self.domainLabel.setBuddy(self.domainEdit)
        self.segmentLabel.setBuddy(self.segmentCombo)
        self.lifecycleLabel.setBuddy(self.lifecycleCombo)
        self.industryLabel.setBuddy(self.industryEdit)
        self.arrLabel.setBuddy(self.arrEdit)
        self.contractStartLabel.setBuddy(self.contractStartEdit)
        self.renewalLabel.setBuddy(self.renewalEdit)
        self.seatsLabel.setBuddy(self.seatsEdit)
        self.ownerLabel.setBuddy(self.ownerEdit)
        self.tagsLabel.setBuddy(self.tagsEdit)
        self.cadenceLabel.setBuddy(self.cadenceSpin)
        self.reviewLabel.setBuddy(self.reviewCombo)
#endif // QT_CONFIG(shortcut)
        QWidget.setTabOrder(self.nameEdit, self.domainEdit)
        QWidget.setTabOrder(self.domainEdit, self.segmentCombo)
        QWidget.setTabOrder(self.segmentCombo, self.lifecycleCombo)
        QWidget.setTabOrder(self.lifecycleCombo, self.industryEdit)
        QWidget.setTabOrder(self.industryEdit, self.arrEdit)
        QWidget.setTabOrder(self.arrEdit, self.currencyCombo)
        QWidget.setTabOrder(self.currencyCombo, self.contractStartEdit)
        QWidget.setTabOrder(self.contractStartEdit, self.renewalEdit)
        QWidget.setTabOrder(self.renewalEdit, self.seatsEdit)
        QWidget.setTabOrder(self.seatsEdit, self.ownerEdit)
        QWidget.setTabOrder(self.ownerEdit, self.tagsEdit)
        QWidget.setTabOrder(self.tagsEdit, self.cadenceSpin)
        QWidget.setTabOrder(self.cadenceSpin, self.reviewCombo)
        QWidget.setTabOrder(self.reviewCombo, self.paymentIssueCheck)

        self.retranslateUi(AccountDialog)

        QMetaObject.connectSlotsByName(AccountDialog)
    # setupUi

    def retranslateUi(self, AccountDialog):
        AccountDialog.setWindowTitle(QCoreApplication.translate("AccountDialog", u"Account", None))
        self.nameLabel.setText(QCoreApplication.translate("AccountDialog", u"&Name", None))
        self.nameEdit.setPlaceholderText(QCoreApplication.translate("AccountDialog", u"Company name (required)", None))
#if QT_CONFIG(accessibility)
        self.nameEdit.setAccessibleName(QCoreApplication.translate("AccountDialog", u"Account name", None))
#endif // QT_CONFIG(accessibility)
        self.domainLabel.setText(QCoreApplication.translate("AccountDialog", u"&Domain", None))
        self.domainEdit.setPlaceholderText(QCoreApplication.translate("AccountDialog", u"acme.com", None))
#if QT_CONFIG(accessibility)
        self.domainEdit.setAccessibleName(QCoreApplication.translate("AccountDialog", u"Web domain", None))
#endif // QT_CONFIG(accessibility)
        self.segmentLabel.setText(QCoreApplication.translate("AccountDialog", u"&Segment", None))
#if QT_CONFIG(accessibility)
        self.segmentCombo.setAccessibleName(QCoreApplication.translate("AccountDialog", u"Segment", None))
#endif // QT_CONFIG(accessibility)
        self.lifecycleLabel.setText(QCoreApplication.translate("AccountDialog", u"&Lifecycle", None))
#if QT_CONFIG(accessibility)
        self.lifecycleCombo.setAccessibleName(QCoreApplication.translate("AccountDialog", u"Lifecycle stage", None))
#endif // QT_CONFIG(accessibility)
        self.industryLabel.setText(QCoreApplication.translate("AccountDialog", u"&Industry", None))
#if QT_CONFIG(accessibility)
        self.industryEdit.setAccessibleName(QCoreApplication.translate("AccountDialog", u"Industry", None))
#endif // QT_CONFIG(accessibility)
        self.arrLabel.setText(QCoreApplication.translate("AccountDialog", u"&ARR", None))
        self.arrEdit.setPlaceholderText(QCoreApplication.translate("AccountDialog", u"120000 or $120,000.00", None))
#if QT_CONFIG(accessibility)
        self.arrEdit.setAccessibleName(QCoreApplication.translate("AccountDialog", u"Annual recurring revenue", None))
#endif // QT_CONFIG(accessibility)
#if QT_CONFIG(accessibility)
        self.currencyCombo.setAccessibleName(QCoreApplication.translate("AccountDialog", u"Currency", None))
#endif // QT_CONFIG(accessibility)
        self.contractStartLabel.setText(QCoreApplication.translate("AccountDialog", u"Contract &start", None))
        self.contractStartEdit.setDisplayFormat(QCoreApplication.translate("AccountDialog", u"yyyy-MM-dd", None))
#if QT_CONFIG(accessibility)
        self.contractStartEdit.setAccessibleName(QCoreApplication.translate("AccountDialog", u"Contract start date", None))
#endif // QT_CONFIG(accessibility)
        self.renewalLabel.setText(QCoreApplication.translate("AccountDialog", u"&Renewal", None))
        self.renewalEdit.setDisplayFormat(QCoreApplication.translate("AccountDialog", u"yyyy-MM-dd", None))
#if QT_CONFIG(accessibility)
        self.renewalEdit.setAccessibleName(QCoreApplication.translate("AccountDialog", u"Renewal date", None))
#endif // QT_CONFIG(accessibility)
        self.seatsLabel.setText(QCoreApplication.translate("AccountDialog", u"Licensed s&eats", None))
        self.seatsEdit.setPlaceholderText(QCoreApplication.translate("AccountDialog", u"e.g. 250", None))
#if QT_CONFIG(accessibility)
        self.seatsEdit.setAccessibleName(QCoreApplication.translate("AccountDialog", u"Licensed seats", None))
#endif // QT_CONFIG(accessibility)
        self.ownerLabel.setText(QCoreApplication.translate("AccountDialog", u"&Owner", None))
#if QT_CONFIG(accessibility)
        self.ownerEdit.setAccessibleName(QCoreApplication.translate("AccountDialog", u"Account owner", None))
#endif // QT_CONFIG(accessibility)
        self.tagsLabel.setText(QCoreApplication.translate("AccountDialog", u"&Tags", None))
        self.tagsEdit.setPlaceholderText(QCoreApplication.translate("AccountDialog", u"comma-separated, e.g. sso, strategic", None))
#if QT_CONFIG(accessibility)
        self.tagsEdit.setAccessibleName(QCoreApplication.translate("AccountDialog", u"Tags", None))
#endif // QT_CONFIG(accessibility)
        self.cadenceLabel.setText(QCoreApplication.translate("AccountDialog", u"Check &in every", None))
#if QT_CONFIG(accessibility)
        self.cadenceSpin.setAccessibleName(QCoreApplication.translate("AccountDialog", u"Check in every (days)", None))
#endif // QT_CONFIG(accessibility)
#if QT_CONFIG(accessibility)
        self.cadenceSpin.setAccessibleDescription(QCoreApplication.translate("AccountDialog", u"Days between touchpoints for this account; By segment uses the cadence of its segment and lifecycle stage", None))
#endif // QT_CONFIG(accessibility)
#if QT_CONFIG(tooltip)
        self.cadenceSpin.setToolTip(QCoreApplication.translate("AccountDialog", u"Days between touchpoints for this account. By segment: the cadence of its segment and lifecycle stage (Rhythm settings).", None))
#endif // QT_CONFIG(tooltip)
        self.cadenceSpin.setSpecialValueText(QCoreApplication.translate("AccountDialog", u"By segment", None))
        self.cadenceSpin.setSuffix(QCoreApplication.translate("AccountDialog", u" days", None))
        self.reviewLabel.setText(QCoreApplication.translate("AccountDialog", u"Re&views", None))
#if QT_CONFIG(accessibility)
        self.reviewCombo.setAccessibleName(QCoreApplication.translate("AccountDialog", u"Review kind", None))
#endif // QT_CONFIG(accessibility)
#if QT_CONFIG(tooltip)
        self.reviewCombo.setToolTip(QCoreApplication.translate("AccountDialog", u"Whether this account holds quarterly business reviews (QBR) or executive business reviews (EBR). By segment: as the Rhythm settings say for its segment.", None))
#endif // QT_CONFIG(tooltip)
        self.paymentIssueCheck.setText(QCoreApplication.translate("AccountDialog", u"&Payment issue flagged", None))
#if QT_CONFIG(accessibility)
        self.warningLabel.setAccessibleName(QCoreApplication.translate("AccountDialog", u"Warnings", None))
#endif // QT_CONFIG(accessibility)
#if QT_CONFIG(accessibility)
        self.errorLabel.setAccessibleName(QCoreApplication.translate("AccountDialog", u"Errors", None))
#endif // QT_CONFIG(accessibility)
    # retranslateUi


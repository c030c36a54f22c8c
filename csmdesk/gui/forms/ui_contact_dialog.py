# source-sha256: f4e6b5dd798d3b1ec908460eca62850d223e7dca554291cf7617b41354beddca
# -*- coding: utf-8 -*-

################################################################################
## Form generated from reading UI file 'contact_dialog.ui'
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
from PySide6.QtWidgets import (QAbstractButton, QApplication, QCheckBox, QDateEdit,
    QDialog, QDialogButtonBox, QFormLayout, QLabel,
    QLineEdit, QSizePolicy, QSpacerItem, QVBoxLayout,
    QWidget)

class Ui_ContactDialog(object):
    def setupUi(self, ContactDialog):
        if not ContactDialog.objectName():
            ContactDialog.setObjectName(u"ContactDialog")
        ContactDialog.resize(440, 420)
        self.mainLayout = QVBoxLayout(ContactDialog)
        self.mainLayout.setObjectName(u"mainLayout")
        self.formLayout = QFormLayout()
        self.formLayout.setObjectName(u"formLayout")
        self.nameLabel = QLabel(ContactDialog)
        self.nameLabel.setObjectName(u"nameLabel")

        self.formLayout.setWidget(0, QFormLayout.ItemRole.LabelRole, self.nameLabel)

        self.nameEdit = QLineEdit(ContactDialog)
        self.nameEdit.setObjectName(u"nameEdit")

        self.formLayout.setWidget(0, QFormLayout.ItemRole.FieldRole, self.nameEdit)

        self.emailLabel = QLabel(ContactDialog)
        self.emailLabel.setObjectName(u"emailLabel")

        self.formLayout.setWidget(1, QFormLayout.ItemRole.LabelRole, self.emailLabel)

        self.emailEdit = QLineEdit(ContactDialog)
        self.emailEdit.setObjectName(u"emailEdit")

        self.formLayout.setWidget(1, QFormLayout.ItemRole.FieldRole, self.emailEdit)

        self.titleLabel = QLabel(ContactDialog)
        self.titleLabel.setObjectName(u"titleLabel")

        self.formLayout.setWidget(2, QFormLayout.ItemRole.LabelRole, self.titleLabel)

        self.titleEdit = QLineEdit(ContactDialog)
        self.titleEdit.setObjectName(u"titleEdit")

        self.formLayout.setWidget(2, QFormLayout.ItemRole.FieldRole, self.titleEdit)

        self.phoneLabel = QLabel(ContactDialog)
        self.phoneLabel.setObjectName(u"phoneLabel")

        self.formLayout.setWidget(3, QFormLayout.ItemRole.LabelRole, self.phoneLabel)

        self.phoneEdit = QLineEdit(ContactDialog)
        self.phoneEdit.setObjectName(u"phoneEdit")

        self.formLayout.setWidget(3, QFormLayout.ItemRole.FieldRole, self.phoneEdit)

        self.rolesLabel = QLabel(ContactDialog)
        self.rolesLabel.setObjectName(u"rolesLabel")

        self.formLayout.setWidget(4, QFormLayout.ItemRole.LabelRole, self.rolesLabel)

        self.rolesBox = QWidget(ContactDialog)
        self.rolesBox.setObjectName(u"rolesBox")
        self.rolesLayout = QVBoxLayout(self.rolesBox)
        self.rolesLayout.setObjectName(u"rolesLayout")
        self.rolesLayout.setContentsMargins(0, 0, 0, 0)

        self.formLayout.setWidget(4, QFormLayout.ItemRole.FieldRole, self.rolesBox)

        self.primaryCheck = QCheckBox(ContactDialog)
        self.primaryCheck.setObjectName(u"primaryCheck")

        self.formLayout.setWidget(5, QFormLayout.ItemRole.FieldRole, self.primaryCheck)

        self.leftCheck = QCheckBox(ContactDialog)
        self.leftCheck.setObjectName(u"leftCheck")

        self.formLayout.setWidget(6, QFormLayout.ItemRole.LabelRole, self.leftCheck)

        self.leftEdit = QDateEdit(ContactDialog)
        self.leftEdit.setObjectName(u"leftEdit")
        self.leftEdit.setCalendarPopup(True)

        self.formLayout.setWidget(6, QFormLayout.ItemRole.FieldRole, self.leftEdit)


        self.mainLayout.addLayout(self.formLayout)

        self.errorLabel = QLabel(ContactDialog)
        self.errorLabel.setObjectName(u"errorLabel")
        self.errorLabel.setWordWrap(True)

        self.mainLayout.addWidget(self.errorLabel)

        self.verticalSpacer = QSpacerItem(0, 0, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Expanding)

        self.mainLayout.addItem(self.verticalSpacer)

        self.buttonBox = QDialogButtonBox(ContactDialog)
        self.buttonBox.setObjectName(u"buttonBox")
        self.buttonBox.setStandardButtons(QDialogButtonBox.StandardButton.Cancel|QDialogButtonBox.StandardButton.Save)

        self.mainLayout.addWidget(self.buttonBox)

#if QT_CONFIG(shortcut)
        self.nameLabel.setBuddy(self.nameEdit)
        self.emailLabel.setBuddy(self.emailEdit)
        self.titleLabel.setBuddy(self.titleEdit)
        self.phoneLabel.setBuddy(self.phoneEdit)
#endif // QT_CONFIG(shortcut)

        self.retranslateUi(ContactDialog)

        QMetaObject.connectSlotsByName(ContactDialog)
    # setupUi

    def retranslateUi(self, ContactDialog):
        ContactDialog.setWindowTitle(QCoreApplication.translate("ContactDialog", u"Contact", None))
        self.nameLabel.setText(QCoreApplication.translate("ContactDialog", u"&Name", None))
        self.nameEdit.setPlaceholderText(QCoreApplication.translate("ContactDialog", u"Full name (required)", None))
#if QT_CONFIG(accessibility)
        self.nameEdit.setAccessibleName(QCoreApplication.translate("ContactDialog", u"Contact name", None))
#endif // QT_CONFIG(accessibility)
        self.emailLabel.setText(QCoreApplication.translate("ContactDialog", u"&Email", None))
#if QT_CONFIG(accessibility)
        self.emailEdit.setAccessibleName(QCoreApplication.translate("ContactDialog", u"Email address", None))
#endif // QT_CONFIG(accessibility)
        self.titleLabel.setText(QCoreApplication.translate("ContactDialog", u"&Title", None))
#if QT_CONFIG(accessibility)
        self.titleEdit.setAccessibleName(QCoreApplication.translate("ContactDialog", u"Job title", None))
#endif // QT_CONFIG(accessibility)
        self.phoneLabel.setText(QCoreApplication.translate("ContactDialog", u"&Phone", None))
#if QT_CONFIG(accessibility)
        self.phoneEdit.setAccessibleName(QCoreApplication.translate("ContactDialog", u"Phone number", None))
#endif // QT_CONFIG(accessibility)
        self.rolesLabel.setText(QCoreApplication.translate("ContactDialog", u"Roles", None))
        self.primaryCheck.setText(QCoreApplication.translate("ContactDialog", u"P&rimary contact", None))
        self.leftCheck.setText(QCoreApplication.translate("ContactDialog", u"&Left on", None))
        self.leftEdit.setDisplayFormat(QCoreApplication.translate("ContactDialog", u"yyyy-MM-dd", None))
#if QT_CONFIG(accessibility)
        self.leftEdit.setAccessibleName(QCoreApplication.translate("ContactDialog", u"Date the contact left the company", None))
#endif // QT_CONFIG(accessibility)
    # retranslateUi

